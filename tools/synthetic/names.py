"""Given and family names by culture, and the mix of cultures among patients in each time zone.

The clinic is in Chicago and some of its patients live in other time zones or countries, so names
are drawn from several cultures to look like a real international practice. No combination
describes a real patient.
"""

from __future__ import annotations


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# culture: (female given names, male given names, family names)
NAMES = {
    "english": (
        _names(
            "Mary Linda Susan Karen Nancy Deborah Sharon Carol Brenda Diane Janet Keisha Tamika"
        ),
        _names("James Robert Michael David Richard Thomas Gary Kevin Darnell Terrence Dale Wayne"),
        _names(
            "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson "
            "Thompson White Harris Clark Lewis Walker Hall Young O'Brien O'Connor Whitfield "
            "Campbell-Reed Washington"
        ),
    ),
    "hispanic": (
        _names("María Guadalupe Rosa Carmen Sofía Lucía Ana Verónica Dolores Inés"),
        _names("José Luis Carlos Jesús Miguel Jorge Raúl Andrés Héctor Ramón"),
        _names(
            "García Martínez Rodríguez López Hernández González Pérez Sánchez Ramírez Núñez "
            "Ortiz Castillo Peña"
        ),
    ),
    "polish": (
        _names("Agnieszka Małgorzata Krystyna Barbara Ewa Halina"),
        _names("Łukasz Krzysztof Tomasz Andrzej Piotr Zbigniew"),
        _names("Kowalski Nowak Wiśniewski Wójcik Kamiński Lewandowski Zieliński"),
    ),
    "german": (
        _names("Ursula Monika Petra Sabine Renate Gisela Jutta"),
        _names("Jürgen Klaus Wolfgang Dieter Günter Stefan Uwe"),
        _names("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schäfer Groß"),
    ),
    "japanese": (
        _names("Keiko Yoko Michiko Hiroko Tomoko Naoko Yumi Sachiko"),
        _names("Hiroshi Takeshi Kenji Satoshi Makoto Yoshio Akira Osamu"),
        _names("Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato"),
    ),
    "chinese": (
        _names("Mei Li Xiu Hui Ying Fang Lan"),
        _names("Wei Jian Ming Hao Jun Qiang Tao"),
        _names("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou"),
    ),
    "korean": (
        _names("Min-ji Seo-yeon Ji-hye Eun-ju Young-mi"),
        _names("Min-jun Seung-ho Dong-hyun Jae-won Sung-min"),
        _names("Kim Lee Park Choi Jung Kang Yoon"),
    ),
    "vietnamese": (
        _names("Linh Hương Lan Mai Thu"),
        _names("Minh Tuấn Hùng Dũng Quang"),
        _names("Nguyễn Trần Lê Phạm Hoàng Vũ"),
    ),
    "indian": (
        _names("Priya Lakshmi Anjali Sunita Kavita Meera Deepa Rekha"),
        _names("Rajesh Suresh Anil Vijay Sanjay Ramesh Arun Prakash"),
        _names("Sharma Patel Singh Kumar Reddy Iyer Nair Gupta Chatterjee Banerjee"),
    ),
    "arabic": (
        _names("Fatima Aisha Mariam Layla Noor Huda Salma"),
        _names("Mohammed Ahmed Omar Khalid Youssef Tariq Hassan"),
        _names("Al-Mansouri Al-Hashimi Haddad Khoury Nasser Saleh Al-Farsi"),
    ),
    "nigerian": (
        _names("Adaeze Ngozi Folake Funmilayo Chioma Yetunde"),
        _names("Chukwuemeka Oluwaseun Babatunde Emeka Adebayo Obinna"),
        _names("Okafor Adeyemi Okonkwo Balogun Eze Oyelaran"),
    ),
    "greek": (
        _names("Eleni Maria Dimitra Sofia Georgia"),
        _names("Georgios Dimitrios Konstantinos Nikolaos Ioannis"),
        _names("Papadopoulos Nikolaidis Georgiou Pappas Karalis"),
    ),
    "italian": (
        _names("Giuseppina Francesca Antonella Rosaria Paola"),
        _names("Giuseppe Salvatore Antonio Vincenzo Franco"),
        _names("Rossi Russo Esposito Romano Colombo Ricci Bianchi"),
    ),
    "turkish": (
        _names("Ayşe Fatma Emine Hatice Zeynep"),
        _names("Mehmet Mustafa Ahmet Hüseyin Murat"),
        _names("Yılmaz Kaya Demir Şahin Çelik Öztürk"),
    ),
    "portuguese": (
        _names("Maria Ana Francisca Antônia Adriana"),
        _names("João José Antônio Francisco Paulo"),
        _names("Silva Santos Oliveira Souza Pereira Conceição"),
    ),
}
# time zone: {culture: relative weight}
TZ_CULTURES = {
    "America/Chicago": {
        "english": 44,
        "hispanic": 16,
        "polish": 8,
        "german": 4,
        "italian": 5,
        "greek": 3,
        "indian": 6,
        "chinese": 4,
        "korean": 3,
        "vietnamese": 2,
        "arabic": 3,
        "nigerian": 2,
    },
    "America/New_York": {"english": 50, "italian": 15, "hispanic": 15, "chinese": 10, "greek": 10},
    "America/Los_Angeles": {"english": 40, "hispanic": 30, "korean": 15, "chinese": 15},
    "America/Mexico_City": {"hispanic": 100},
    "America/Sao_Paulo": {"portuguese": 100},
    "Europe/London": {"english": 60, "indian": 25, "nigerian": 10, "polish": 5},
    "Europe/Berlin": {"german": 70, "turkish": 20, "polish": 10},
    "Asia/Tokyo": {"japanese": 100},
    "Asia/Seoul": {"korean": 100},
    "Asia/Dubai": {"arabic": 60, "indian": 40},
    "Asia/Kolkata": {"indian": 100},
    "Africa/Lagos": {"nigerian": 100},
    "Australia/Sydney": {"english": 60, "greek": 15, "vietnamese": 15, "chinese": 10},
}
# Where the patients outside the clinic's time zone live (relative weights).
ABROAD_TZ_WEIGHTS = {
    "America/New_York": 20,
    "America/Los_Angeles": 9,
    "Asia/Tokyo": 12,
    "Europe/London": 12,
    "Asia/Dubai": 10,
    "Australia/Sydney": 10,
    "Europe/Berlin": 9,
    "America/Mexico_City": 6,
    "Asia/Kolkata": 5,
    "Asia/Seoul": 3,
    "Africa/Lagos": 2,
    "America/Sao_Paulo": 2,
}
