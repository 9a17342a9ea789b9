"""The demo catalog: a category tree and product lines with prices in kwanzas (AOA).

Every leaf category has a few product lines (``bases``, with a reference price) and a few
``modifiers`` (brand, size, colour or pack, with a price factor); the demo products are their
combinations. ``VARIANT_GROUPS`` are products sold in several sizes or colours.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Leaf:
    """A sub-category and the product lines sold in it."""

    name: str
    bases: tuple[tuple[str, int], ...]
    modifiers: tuple[tuple[str, float], ...]
    blurb: str


@dataclass(frozen=True)
class VariantGroup:
    """A product sold in variants; each variant has its own attributes, price and stock."""

    name: str
    category: str
    description: str
    price: int
    axes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Extra price per value of an axis, e.g. ``{"XXL": 1500}``.
    surcharges: dict[str, int] = field(default_factory=dict)


TREE: tuple[tuple[str, str, tuple[Leaf, ...]], ...] = (
    (
        "Electrónica",
        "Telemóveis, computadores, imagem e som.",
        (
            Leaf(
                "Telemóveis e Acessórios",
                (
                    ('Smartphone Android 6,6" 4 GB/128 GB', 98_000),
                    ('Smartphone Android 6,7" 8 GB/256 GB', 245_000),
                    ("Telemóvel Básico Dual SIM", 14_500),
                    ("Auriculares Bluetooth sem Fios", 18_900),
                    ("Powerbank 20 000 mAh", 16_500),
                ),
                (("Preto", 1.0), ("Azul-Marinho", 1.0), ("Dourado", 1.04)),
                "Garantia de 12 meses e carregador incluído.",
            ),
            Leaf(
                "Computadores e Tablets",
                (
                    ('Portátil 15,6" Core i5 16 GB/512 GB SSD', 585_000),
                    ('Portátil 14" Core i3 8 GB/256 GB SSD', 365_000),
                    ('Tablet 10,1" 64 GB Wi-Fi', 119_000),
                    ('Monitor LED 24" Full HD', 98_500),
                    ("Impressora Multifunções Jacto de Tinta", 64_000),
                ),
                (("Modelo 2025", 1.0), ("Modelo 2026", 1.12), ("Recondicionado", 0.72)),
                "Teclado em português, garantia de 24 meses.",
            ),
            Leaf(
                "Televisão e Áudio",
                (
                    ('Televisor LED 43" Smart TV 4K', 289_000),
                    ('Televisor LED 55" Smart TV 4K', 455_000),
                    ("Barra de Som 2.1 com Subwoofer", 112_000),
                    ("Coluna Bluetooth Portátil", 27_500),
                    ("Receptor de Satélite HD", 38_000),
                ),
                (("Preto", 1.0), ("Prateado", 1.03), ("Edição Limitada", 1.15)),
                "Inclui comando e cabos; instalação em Luanda sob pedido.",
            ),
        ),
    ),
    (
        "Moda",
        "Roupa, calçado e acessórios para todos.",
        (
            Leaf(
                "Roupa de Homem",
                (
                    ("Camisa de Algodão Manga Comprida", 15_900),
                    ("Calças de Ganga Slim", 19_500),
                    ("Polo Piqué", 11_900),
                    ("Casaco Corta-Vento", 29_900),
                    ("Calções de Linho", 12_500),
                ),
                (("Branco", 1.0), ("Azul", 1.0), ("Verde-Oliva", 1.05)),
                "Tecido respirável, ideal para o clima de Luanda.",
            ),
            Leaf(
                "Roupa de Mulher",
                (
                    ("Vestido Estampado em Tecido Africano", 24_900),
                    ("Blusa de Seda", 18_500),
                    ("Saia Midi Plissada", 16_900),
                    ("Conjunto de Calça e Casaco", 42_000),
                    ("Lenço de Cabeça em Capulana", 6_500),
                ),
                (("Padrão Kitenge", 1.0), ("Padrão Samakaka", 1.06), ("Liso", 0.94)),
                "Confeccionado em Angola com tecidos seleccionados.",
            ),
            Leaf(
                "Calçado",
                (
                    ("Sapatilhas Casuais em Lona", 17_900),
                    ("Sandálias de Couro", 14_500),
                    ("Sapatos Clássicos de Cerimónia", 39_900),
                    ("Chinelos de Praia", 3_900),
                    ("Botas de Trabalho com Biqueira de Aço", 34_500),
                ),
                (("Preto", 1.0), ("Castanho", 1.0), ("Branco", 1.03)),
                "Palmilha almofadada e sola antiderrapante.",
            ),
        ),
    ),
    (
        "Casa e Cozinha",
        "Tudo para a casa: cozinhar, arrumar e decorar.",
        (
            Leaf(
                "Cozinha",
                (
                    ("Panela de Pressão 6 L", 21_500),
                    ("Conjunto de Tachos Antiaderentes 5 Peças", 48_900),
                    ("Faqueiro em Inox 24 Peças", 26_500),
                    ("Jogo de Pratos de Porcelana 18 Peças", 33_900),
                    ("Garrafa Térmica 1 L", 8_900),
                ),
                (("Clássico", 1.0), ("Premium", 1.25), ("Compacto", 0.85)),
                "Apto para fogão a gás, eléctrico e vitrocerâmico.",
            ),
            Leaf(
                "Electrodomésticos",
                (
                    ("Frigorífico Combinado 300 L", 415_000),
                    ("Arca Congeladora Horizontal 200 L", 289_000),
                    ("Máquina de Lavar Roupa 8 kg", 365_000),
                    ("Micro-ondas 25 L", 72_000),
                    ("Ventoinha de Pé 40 cm", 24_900),
                ),
                (("Branco", 1.0), ("Inox", 1.1), ("Classe Energética A++", 1.18)),
                "Funciona com 220 V; garantia de 24 meses.",
            ),
            Leaf(
                "Decoração e Têxteis-lar",
                (
                    ("Jogo de Lençóis de Algodão Casal", 22_900),
                    ("Cortinado Blackout 140x260 cm", 18_500),
                    ("Tapete de Sala 160x230 cm", 45_000),
                    ("Candeeiro de Mesa em Madeira", 16_900),
                    ("Almofada Decorativa 45x45 cm", 5_900),
                ),
                (("Bege", 1.0), ("Cinzento", 1.0), ("Terracota", 1.04)),
                "Materiais de qualidade, fáceis de lavar.",
            ),
        ),
    ),
    (
        "Mercearia e Bebidas",
        "O essencial da despensa, com produtos nacionais.",
        (
            Leaf(
                "Mercearia",
                (
                    ("Fuba de Milho", 1_450),
                    ("Arroz Agulha", 1_650),
                    ("Feijão Manteiga", 2_300),
                    ("Óleo de Palma", 3_200),
                    ("Açúcar Branco", 1_250),
                ),
                (("1 kg", 1.0), ("5 kg", 4.6), ("Pack Familiar 10 kg", 8.9)),
                "Produto seleccionado, embalado em Angola.",
            ),
            Leaf(
                "Bebidas",
                (
                    ("Água Mineral Natural", 350),
                    ("Sumo de Múcua", 1_200),
                    ("Refrigerante de Laranja", 450),
                    ("Café Torrado Moído de Angola", 3_900),
                    ("Chá de Caxinde", 1_600),
                ),
                (("Unidade", 1.0), ("Pack de 6", 5.6), ("Pack de 12", 10.8)),
                "Servir fresco; conservar em local seco.",
            ),
            Leaf(
                "Produtos Nacionais",
                (
                    ("Doce de Ginguba", 2_100),
                    ("Jindungo em Conserva", 1_800),
                    ("Mel do Huambo", 4_500),
                    ("Mandioca Seca Descascada", 1_900),
                    ("Ginguba Torrada", 1_500),
                ),
                (("250 g", 1.0), ("500 g", 1.9), ("1 kg", 3.6)),
                "Feito em Angola por pequenos produtores.",
            ),
        ),
    ),
    (
        "Beleza e Saúde",
        "Cuidado pessoal, perfumaria e bem-estar.",
        (
            Leaf(
                "Cuidado Pessoal",
                (
                    ("Creme Hidratante com Manteiga de Karité", 6_900),
                    ("Champô para Cabelo Crespo", 4_900),
                    ("Gel de Banho", 2_900),
                    ("Protector Solar FPS 50", 8_500),
                    ("Óleo de Coco Puro", 3_900),
                ),
                (("200 ml", 1.0), ("400 ml", 1.8), ("Embalagem Económica 1 L", 3.9)),
                "Testado dermatologicamente.",
            ),
            Leaf(
                "Perfumes",
                (
                    ("Eau de Parfum Floral", 32_000),
                    ("Eau de Toilette Amadeirada", 27_500),
                    ("Água de Colónia Cítrica", 12_900),
                    ("Desodorizante Spray", 2_700),
                    ("Conjunto Presente Perfume e Loção", 39_900),
                ),
                (("50 ml", 1.0), ("100 ml", 1.65), ("Edição de Viagem 15 ml", 0.45)),
                "Fragrância duradoura.",
            ),
            Leaf(
                "Saúde e Bem-estar",
                (
                    ("Termómetro Digital", 4_500),
                    ("Medidor de Tensão Arterial de Pulso", 18_900),
                    ("Kit de Primeiros Socorros", 9_900),
                    ("Rede Mosquiteira Impregnada", 6_500),
                    ("Balança Digital de Casa de Banho", 11_500),
                ),
                (("Standard", 1.0), ("Profissional", 1.35), ("Família", 1.2)),
                "Instruções em português.",
            ),
        ),
    ),
    (
        "Desporto e Lazer",
        "Para treinar, jogar e aproveitar o ar livre.",
        (
            Leaf(
                "Fitness",
                (
                    ("Tapete de Yoga", 9_500),
                    ("Halteres Ajustáveis", 28_000),
                    ("Corda de Saltar com Contador", 4_900),
                    ("Bicicleta Estática", 185_000),
                    ("Bandas Elásticas de Resistência", 7_900),
                ),
                (("Iniciante", 1.0), ("Intermédio", 1.2), ("Avançado", 1.45)),
                "Para treinar em casa ou no ginásio.",
            ),
            Leaf(
                "Futebol",
                (
                    ("Bola de Futebol Oficial", 14_900),
                    ("Chuteiras de Relva Sintética", 32_000),
                    ("Caneleiras", 5_500),
                    ("Luvas de Guarda-Redes", 12_500),
                    ("Camisola Oficial da Selecção", 22_000),
                ),
                (("Adulto", 1.0), ("Júnior", 0.8), ("Edição Girabola", 1.12)),
                "Aprovado para jogos de treino e competição.",
            ),
            Leaf(
                "Campismo e Praia",
                (
                    ("Tenda para 4 Pessoas", 54_000),
                    ("Geleira Portátil 30 L", 21_000),
                    ("Cadeira de Praia Dobrável", 9_900),
                    ("Chapéu-de-Sol 2 m", 15_500),
                    ("Lanterna LED Recarregável", 6_900),
                ),
                (("Verde", 1.0), ("Laranja", 1.0), ("Azul", 1.0)),
                "Leve e resistente; perfeito para o Mussulo.",
            ),
        ),
    ),
    (
        "Bebé e Criança",
        "Brinquedos, puericultura e material escolar.",
        (
            Leaf(
                "Brinquedos",
                (
                    ("Blocos de Construção 500 Peças", 18_500),
                    ("Boneca de Pano Artesanal", 7_900),
                    ("Carro Telecomandado", 24_900),
                    ("Puzzle do Mapa de Angola", 5_900),
                    ("Jogo de Tabuleiro Ouri", 9_500),
                ),
                (("3+ anos", 1.0), ("6+ anos", 1.1), ("Edição Família", 1.3)),
                "Cumpre as normas de segurança para brinquedos.",
            ),
            Leaf(
                "Puericultura",
                (
                    ("Carrinho de Bebé 3 em 1", 165_000),
                    ("Cadeira Auto Grupo 0+/1", 89_000),
                    ("Biberão Anticólicas 260 ml", 4_900),
                    ("Fraldas Descartáveis", 8_900),
                    ("Banheira de Bebé com Suporte", 19_900),
                ),
                (("Cinzento", 1.0), ("Rosa", 1.0), ("Azul-Claro", 1.0)),
                "Pensado para o conforto e a segurança do bebé.",
            ),
            Leaf(
                "Material Escolar",
                (
                    ("Mochila Escolar", 12_900),
                    ("Caderno A4 Pautado", 850),
                    ("Estojo Completo", 6_500),
                    ("Calculadora Científica", 14_900),
                    ("Caixa de Lápis de Cor 24 Cores", 3_500),
                ),
                (("Ensino Primário", 1.0), ("Ensino Secundário", 1.1), ("Pack de 3", 2.7)),
                "Pronto para o novo ano lectivo.",
            ),
        ),
    ),
)

VARIANT_GROUPS: tuple[VariantGroup, ...] = (
    VariantGroup(
        name="Camisola Polo Clássica",
        category="Roupa de Homem",
        description="Polo de algodão piqué com gola canelada. Escolha o tamanho e a cor.",
        price=12_900,
        axes={"tamanho": ("S", "M", "L", "XL"), "cor": ("Branco", "Azul-Marinho")},
        surcharges={"XL": 1_000},
    ),
    VariantGroup(
        name="Sapatilhas de Corrida Leves",
        category="Calçado",
        description="Sapatilhas de corrida com amortecimento e malha respirável.",
        price=29_900,
        axes={"tamanho": ("39", "40", "41", "42", "43", "44")},
        surcharges={"44": 1_500},
    ),
    VariantGroup(
        name="Vestido Longo em Capulana",
        category="Roupa de Mulher",
        description="Vestido longo feito à mão em tecido de capulana.",
        price=27_500,
        axes={"tamanho": ("S", "M", "L"), "cor": ("Amarelo e Azul", "Vermelho e Preto")},
    ),
    VariantGroup(
        name='Smartphone Android 6,5" Dual SIM',
        category="Telemóveis e Acessórios",
        description="Ecrã de 6,5 polegadas, câmara dupla e bateria de 5000 mAh.",
        price=119_000,
        axes={"memória": ("64 GB", "128 GB", "256 GB")},
        surcharges={"128 GB": 25_000, "256 GB": 60_000},
    ),
)
